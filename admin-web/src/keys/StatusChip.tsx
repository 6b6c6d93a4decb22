import { Chip } from "@mui/material";
import type { KeyStatus } from "../api/keys";
import { useT } from "../i18n/I18n";

export function StatusChip({ status }: { status: KeyStatus }) {
  const t = useT();
  const color = status === "active" ? "success" : status === "suspended" ? "warning" : "default";
  return <Chip color={color} variant="outlined" label={t(status)} />;
}
