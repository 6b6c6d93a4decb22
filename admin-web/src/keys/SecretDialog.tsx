import { useState } from "react";
import { Alert, AlertTitle, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Typography } from "@mui/material";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import type { APIKey } from "../api/keys";
import { useT } from "../i18n/I18n";

function Secret({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  return (
    <Box sx={{ mt: 2 }}>
      <Typography variant="subtitle2" component="h3">{label}</Typography>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={1} sx={{ mt: 0.5, alignItems: { sm: "center" } }}>
        <Box component="code" aria-label={label} sx={{ flex: 1, p: 1.25, borderRadius: 1, bgcolor: "action.hover", fontFamily: "monospace", fontSize: 14, wordBreak: "break-all" }}>
          {value}
        </Box>
        <Button variant="outlined" startIcon={<ContentCopyIcon />}
          onClick={() => navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? t("Copied") : t("Copy")}
        </Button>
      </Stack>
    </Box>
  );
}

/** SecretDialog shows a new or rotated key's secret, the one time the API returns it. */
export function SecretDialog({ apiKey, onClose }: { apiKey: APIKey | null; onClose: () => void }) {
  const t = useT();
  return (
    <Dialog open={!!apiKey} maxWidth="sm" fullWidth aria-labelledby="secret-title">
      <DialogTitle id="secret-title">{t("Save this key now")}</DialogTitle>
      <DialogContent>
        <Alert severity="warning">
          <AlertTitle>{apiKey?.name}</AlertTitle>
          {t("This is the only time the secret is shown. Only its hash is stored: if you lose it, rotate the key.")}
        </Alert>
        {apiKey && <Secret label={t("API key secret")} value={apiKey.key} />}
        {apiKey?.signing_secret && <Secret label={t("Signing secret")} value={apiKey.signing_secret} />}
      </DialogContent>
      <DialogActions>
        <Button variant="contained" onClick={onClose}>{t("Done")}</Button>
      </DialogActions>
    </Dialog>
  );
}
