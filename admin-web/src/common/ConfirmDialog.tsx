import { Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from "@mui/material";
import { useT } from "../i18n/I18n";
import { ErrorAlert } from "./ErrorAlert";

type Props = { open: boolean; title: string; text: string; confirm: string; busy?: boolean; error?: unknown; onConfirm: () => void; onClose: () => void };

export function ConfirmDialog({ open, title, text, confirm, busy, error, onConfirm, onClose }: Props) {
  const t = useT();
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="confirm-title">
      <DialogTitle id="confirm-title">{title}</DialogTitle>
      <DialogContent>
        <ErrorAlert error={error} />
        <DialogContentText>{text}</DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{t("Cancel")}</Button>
        <Button color="error" variant="contained" onClick={onConfirm} disabled={busy}>{confirm}</Button>
      </DialogActions>
    </Dialog>
  );
}
