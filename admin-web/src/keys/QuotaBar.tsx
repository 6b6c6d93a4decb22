import { Box, LinearProgress, Stack, Typography } from "@mui/material";
import { useT } from "../i18n/I18n";

/** QuotaBar shows used against a daily limit (0 = unlimited). */
export function QuotaBar({ label, used, limit, format = String }: { label: string; used: number; limit: number; format?: (n: number) => string }) {
  const t = useT();
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  return (
    <Box>
      <Stack direction="row" sx={{ justifyContent: "space-between" }}>
        <Typography variant="body2">{label}</Typography>
        <Typography variant="body2" color="text.secondary">
          {format(used)} {t("of")} {limit > 0 ? format(limit) : t("unlimited")}
        </Typography>
      </Stack>
      <LinearProgress variant="determinate" value={pct} aria-label={label} color={pct >= 90 ? "error" : pct >= 70 ? "warning" : "primary"}
        sx={{ height: 8, borderRadius: 4, mt: 0.5 }} />
    </Box>
  );
}
