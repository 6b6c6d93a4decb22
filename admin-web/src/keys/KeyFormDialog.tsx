import { useEffect, useState } from "react";
import {
  Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Grid, Switch, TextField, Typography,
} from "@mui/material";
import { fieldErrors } from "../api/errors";
import { ErrorAlert } from "../common/ErrorAlert";
import { useT } from "../i18n/I18n";
import { emptyKeyForm, type KeyFormValues } from "./keyForm";

type Props = {
  open: boolean; title: string; submitLabel: string; initial?: KeyFormValues; busy: boolean; error: unknown;
  onSubmit: (v: KeyFormValues) => void; onClose: () => void; onExited?: () => void;
};

/** KeyFormDialog edits every field of a key; the API's field errors show next to their fields. */
export function KeyFormDialog({ open, title, submitLabel, initial, busy, error, onSubmit, onClose, onExited }: Props) {
  const t = useT();
  const [v, setV] = useState<KeyFormValues>(initial ?? emptyKeyForm);
  useEffect(() => {
    if (open) setV(initial ?? emptyKeyForm);
  }, [open, initial]);
  const fe = fieldErrors(error);
  const hasFieldErrors = Object.keys(fe).length > 0;
  const field = (key: keyof KeyFormValues, label: string, errKey: string, props: Record<string, unknown> = {}) => (
    <TextField
      label={label} value={v[key] as string} name={errKey}
      onChange={(e) => setV({ ...v, [key]: e.target.value })}
      error={!!fe[errKey]} helperText={fe[errKey] ?? (props.helperText as string | undefined)}
      {...props}
    />
  );
  const numField = (key: keyof KeyFormValues, label: string, errKey: string) => field(key, label, errKey, { type: "number", slotProps: { htmlInput: { step: "any" } } });
  const section = (s: string) => (
    <Grid size={12}><Typography variant="subtitle2" color="text.secondary" sx={{ mt: 1 }}>{s}</Typography></Grid>
  );
  return (
    <Dialog open={open} onClose={onClose} maxWidth="md" fullWidth aria-labelledby="key-form-title" slotProps={{ transition: { onExited } }}>
      <form noValidate onSubmit={(e) => { e.preventDefault(); onSubmit(v); }}>
        <DialogTitle id="key-form-title">{title}</DialogTitle>
        <DialogContent dividers>
          {!hasFieldErrors && <ErrorAlert error={error} />}
          <Grid container spacing={2}>
            <Grid size={{ xs: 12, sm: 8 }}>{field("name", t("Name"), "name", { required: true, autoFocus: true })}</Grid>
            <Grid size={{ xs: 12, sm: 4 }}>
              {field("expires", t("Expiry"), "expires_at", { type: "datetime-local", slotProps: { inputLabel: { shrink: true } } })}
            </Grid>
            {section(`${t("Limits")} · ${t("0 means unlimited; a concurrency of 0 takes the gateway's default.")}`)}
            <Grid size={{ xs: 6, sm: 4 }}>{numField("rpm", t("Requests per minute"), "usage_limit.requests_per_minute")}</Grid>
            <Grid size={{ xs: 6, sm: 4 }}>{numField("rpd", t("Requests per day"), "usage_limit.requests_per_day")}</Grid>
            <Grid size={{ xs: 6, sm: 4 }}>{numField("tpd", t("Tokens per day"), "usage_limit.tokens_per_day")}</Grid>
            <Grid size={{ xs: 6, sm: 4 }}>{numField("cost", t("Cost per day (USD)"), "cost_usd_per_day")}</Grid>
            <Grid size={{ xs: 6, sm: 4 }}>{numField("concurrent", t("Max concurrent requests"), "max_concurrent_requests")}</Grid>
            {section(t("Permissions"))}
            <Grid size={{ xs: 12, sm: 6 }}>{field("models", t("Models (comma-separated)"), "permissions.models")}</Grid>
            <Grid size={{ xs: 6, sm: 3 }}>{numField("maxTokens", t("Max tokens"), "permissions.max_tokens")}</Grid>
            <Grid size={{ xs: 6, sm: 3 }}>
              <FormControlLabel control={<Switch checked={v.streaming} onChange={(e) => setV({ ...v, streaming: e.target.checked })} />} label={t("Allow streaming")} />
            </Grid>
            <Grid size={12}>{field("tools", t("CLI tools (comma-separated)"), "tools")}</Grid>
            {section(t("Metadata"))}
            <Grid size={{ xs: 12, sm: 4 }}>{field("userId", t("User ID"), "metadata.user_id")}</Grid>
            <Grid size={{ xs: 12, sm: 4 }}>{field("project", t("Project"), "metadata.project")}</Grid>
            <Grid size={{ xs: 12, sm: 4 }}>{field("description", t("Description"), "metadata.description")}</Grid>
            {section(t("Security"))}
            <Grid size={{ xs: 12, sm: 8 }}>{field("ips", t("Allowed IPs (comma-separated CIDRs)"), "allowed_ips")}</Grid>
            <Grid size={{ xs: 12, sm: 4 }}>
              <FormControlLabel control={<Switch checked={v.signature} onChange={(e) => setV({ ...v, signature: e.target.checked })} />} label={t("Require request signature")} />
            </Grid>
          </Grid>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{t("Cancel")}</Button>
          <Button type="submit" variant="contained" disabled={busy}>{submitLabel}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
