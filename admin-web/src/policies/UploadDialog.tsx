import { useEffect, useState } from "react";
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, MenuItem, Stack, Switch, TextField, Typography } from "@mui/material";
import UploadIcon from "@mui/icons-material/UploadFile";
import { fieldErrors } from "../api/errors";
import { fileToBase64, useUploadPolicy } from "../api/policies";
import { ErrorAlert } from "../common/ErrorAlert";
import { useT } from "../i18n/I18n";

export function UploadDialog({ open, onClose, initialName }: { open: boolean; onClose: () => void; initialName?: string }) {
  const t = useT();
  const upload = useUploadPolicy();
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [config, setConfig] = useState("{}");
  const [mode, setMode] = useState<"closed" | "open">("closed");
  const [activate, setActivate] = useState(true);
  const [configError, setConfigError] = useState<string | null>(null);
  useEffect(() => {
    if (open) {
      setName(initialName ?? "");
      setFile(null);
      setConfig("{}");
      setMode("closed");
      setActivate(true);
      setConfigError(null);
      upload.reset();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, initialName]);
  const fe = fieldErrors(upload.error);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    let cfg: unknown;
    try {
      cfg = config.trim() ? JSON.parse(config) : undefined;
      setConfigError(null);
    } catch (err) {
      setConfigError((err as Error).message);
      return;
    }
    const wasm = file ? await fileToBase64(file) : "";
    upload.mutate({ name, wasm, config: cfg, failure_mode: mode, activate }, { onSuccess: onClose });
  };
  return (
    <Dialog open={open} onClose={onClose} maxWidth="sm" fullWidth aria-labelledby="upload-title">
      <form noValidate onSubmit={submit}>
        <DialogTitle id="upload-title">{t("Upload policy")}</DialogTitle>
        <DialogContent dividers>
          {Object.keys(fe).length === 0 && <ErrorAlert error={upload.error} />}
          <Stack spacing={2}>
            <TextField label={t("Name")} value={name} onChange={(e) => setName(e.target.value)} error={!!fe.name} helperText={fe.name} required />
            <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
              <Button component="label" variant="outlined" startIcon={<UploadIcon />}>
                {t("WASM file")}
                <input hidden type="file" accept=".wasm,application/wasm" aria-label={t("WASM file")} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
              </Button>
              <Typography variant="body2" color={fe.wasm ? "error" : "text.secondary"}>{file?.name ?? fe.wasm ?? t("Choose a .wasm file")}</Typography>
            </Stack>
            <TextField label={t("Configuration (JSON)")} value={config} onChange={(e) => setConfig(e.target.value)} multiline minRows={3}
              error={!!(configError || fe.config)} helperText={configError ?? fe.config} slotProps={{ htmlInput: { style: { fontFamily: "monospace" } } }} />
            <TextField select label={t("Failure mode")} value={mode} onChange={(e) => setMode(e.target.value as "closed" | "open")}>
              <MenuItem value="closed">{t("fail closed (deny)")}</MenuItem>
              <MenuItem value="open">{t("fail open (skip)")}</MenuItem>
            </TextField>
            <FormControlLabel control={<Switch checked={activate} onChange={(e) => setActivate(e.target.checked)} />} label={t("Activate now")} />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{t("Cancel")}</Button>
          <Button type="submit" variant="contained" disabled={upload.isPending}>{t("Upload")}</Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
