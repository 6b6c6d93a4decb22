import { MenuItem, TextField } from "@mui/material";
import type { APIKey } from "../api/keys";
import { useT } from "../i18n/I18n";

export type StatusFilter = "" | "ok" | "errors";

export function KeySelect({ keys, value, onChange, label }: { keys: APIKey[]; value: string; onChange: (v: string) => void; label?: string }) {
  const t = useT();
  return (
    <TextField select label={label ?? t("Filter by key")} value={value} onChange={(e) => onChange(e.target.value)} sx={{ minWidth: 180 }} fullWidth={false}>
      <MenuItem value="">{t("Any key")}</MenuItem>
      {keys.map((k) => <MenuItem key={k.id} value={k.id}>{k.name}</MenuItem>)}
    </TextField>
  );
}

export function StatusSelect({ value, onChange }: { value: StatusFilter; onChange: (v: StatusFilter) => void }) {
  const t = useT();
  return (
    <TextField select label={t("Status")} value={value} onChange={(e) => onChange(e.target.value as StatusFilter)} sx={{ minWidth: 150 }} fullWidth={false}>
      <MenuItem value="">{t("Any status")}</MenuItem>
      <MenuItem value="ok">{t("Successful")}</MenuItem>
      <MenuItem value="errors">{t("Errors only")}</MenuItem>
    </TextField>
  );
}
