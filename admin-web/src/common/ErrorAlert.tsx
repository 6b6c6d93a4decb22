import { Alert, AlertTitle } from "@mui/material";
import { ApiError } from "../api/errors";
import { useT } from "../i18n/I18n";

export function ErrorAlert({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <Alert severity="error" sx={{ mb: 2 }}>
      <AlertTitle>{e?.problem.title ?? t("Something went wrong")}</AlertTitle>
      {e?.problem.detail ?? (error instanceof Error ? error.message : String(error))}
      {e?.code ? ` (${e.code})` : ""}
    </Alert>
  );
}
