import { useEffect, useState } from "react";
import { Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Stack, TextField } from "@mui/material";
import type { APIKey } from "../api/keys";
import { ErrorAlert } from "../common/ErrorAlert";
import { useT } from "../i18n/I18n";

type Props = { apiKey: APIKey | null; busy: boolean; error: unknown; onRotate: (grace: number, signing: boolean) => void; onClose: () => void; onExited?: () => void };

export function RotateDialog({ apiKey, busy, error, onRotate, onClose, onExited }: Props) {
  const t = useT();
  const [grace, setGrace] = useState(3600);
  const [signing, setSigning] = useState(false);
  useEffect(() => {
    setGrace(3600);
    setSigning(false);
  }, [apiKey]);
  return (
    <Dialog open={!!apiKey} onClose={onClose} maxWidth="xs" fullWidth aria-labelledby="rotate-title" slotProps={{ transition: { onExited } }}>
      <DialogTitle id="rotate-title">{t("Rotate key")}: {apiKey?.name}</DialogTitle>
      <DialogContent>
        <ErrorAlert error={error} />
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField select label={t("Grace period")} value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
            <MenuItem value={0}>{t("No grace period (old secret stops now)")}</MenuItem>
            <MenuItem value={3600}>{t("1 hour")}</MenuItem>
            <MenuItem value={86400}>{t("24 hours")}</MenuItem>
            <MenuItem value={604800}>{t("7 days")}</MenuItem>
          </TextField>
          {apiKey?.require_signature && (
            <FormControlLabel control={<Checkbox checked={signing} onChange={(e) => setSigning(e.target.checked)} />} label={t("Also rotate the signing secret")} />
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{t("Cancel")}</Button>
        <Button variant="contained" disabled={busy} onClick={() => onRotate(grace, signing)}>{t("Rotate")}</Button>
      </DialogActions>
    </Dialog>
  );
}
