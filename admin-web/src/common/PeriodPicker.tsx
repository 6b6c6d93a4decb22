import { MenuItem, Stack, TextField } from "@mui/material";
import type { Granularity, Period } from "../api/usage";
import { fromLocalInput, toLocalInput } from "./format";
import { useT } from "../i18n/I18n";

export type Preset = "1h" | "24h" | "7d" | "30d" | "custom";
const presetMs: Record<Exclude<Preset, "custom">, number> = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 };
const presetGranularity: Record<Exclude<Preset, "custom">, Granularity> = { "1h": "minute", "24h": "hour", "7d": "hour", "30d": "day" };

/** periodFor turns a preset into a period ending now (rounded to the minute so queries cache). */
export function periodFor(preset: Preset, granularity?: Granularity, custom?: { from: string; to: string }): Period {
  if (preset === "custom" && custom) return { granularity: granularity ?? "hour", from: custom.from, to: custom.to };
  const p = preset === "custom" ? "24h" : preset;
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  return { granularity: granularity ?? presetGranularity[p], from: new Date(to.getTime() - presetMs[p]).toISOString(), to: to.toISOString() };
}

export function defaultGranularity(p: Preset): Granularity {
  return p === "custom" ? "hour" : presetGranularity[p];
}

type Props = {
  preset: Preset; granularity: Granularity; custom: { from: string; to: string };
  onChange: (v: { preset: Preset; granularity: Granularity; custom: { from: string; to: string } }) => void;
};

export function PeriodPicker({ preset, granularity, custom, onChange }: Props) {
  const t = useT();
  return (
    <Stack direction="row" spacing={1} sx={{ flexWrap: "wrap", gap: 1 }}>
      <TextField select label={t("Range")} value={preset} sx={{ width: 160 }} fullWidth={false}
        onChange={(e) => {
          const p = e.target.value as Preset;
          onChange({ preset: p, granularity: defaultGranularity(p), custom });
        }}>
        <MenuItem value="1h">{t("Last hour")}</MenuItem>
        <MenuItem value="24h">{t("Last 24 hours")}</MenuItem>
        <MenuItem value="7d">{t("Last 7 days")}</MenuItem>
        <MenuItem value="30d">{t("Last 30 days")}</MenuItem>
        <MenuItem value="custom">{t("Custom")}</MenuItem>
      </TextField>
      {preset === "custom" && (
        <>
          <TextField type="datetime-local" label={t("From")} value={toLocalInput(custom.from)} fullWidth={false} sx={{ width: 210 }}
            slotProps={{ inputLabel: { shrink: true } }}
            onChange={(e) => onChange({ preset, granularity, custom: { ...custom, from: fromLocalInput(e.target.value) ?? custom.from } })} />
          <TextField type="datetime-local" label={t("To")} value={toLocalInput(custom.to)} fullWidth={false} sx={{ width: 210 }}
            slotProps={{ inputLabel: { shrink: true } }}
            onChange={(e) => onChange({ preset, granularity, custom: { ...custom, to: fromLocalInput(e.target.value) ?? custom.to } })} />
        </>
      )}
      <TextField select label={t("Granularity")} value={granularity} sx={{ width: 130 }} fullWidth={false}
        onChange={(e) => onChange({ preset, granularity: e.target.value as Granularity, custom })}>
        <MenuItem value="minute">{t("Minute")}</MenuItem>
        <MenuItem value="hour">{t("Hour")}</MenuItem>
        <MenuItem value="day">{t("Day")}</MenuItem>
      </TextField>
    </Stack>
  );
}
