import { useEffect, useState } from "react";
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useTestPolicy } from "../api/policies";
import { ErrorAlert } from "../common/ErrorAlert";
import { useT } from "../i18n/I18n";

const sample = JSON.stringify({ request: { endpoint: "/api/chat", model: "claude-sonnet-4-5", max_tokens: 1024, stream: true }, now_ms: Date.now() }, null, 2);

export function DryRunDialog({ name, onClose }: { name: string | null; onClose: () => void }) {
  const t = useT();
  const test = useTestPolicy();
  const [input, setInput] = useState(sample);
  const [keyId, setKeyId] = useState("");
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => {
    test.reset();
    setParseError(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name]);
  const run = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (e) {
      setParseError((e as Error).message);
      return;
    }
    setParseError(null);
    if (name) test.mutate({ name, body: { input: parsed, api_key_id: keyId || undefined } });
  };
  const d = test.data;
  return (
    <Dialog open={!!name} onClose={onClose} maxWidth="sm" fullWidth aria-labelledby="dryrun-title">
      <DialogTitle id="dryrun-title">{t("Dry run")}: {name}</DialogTitle>
      <DialogContent dividers>
        <ErrorAlert error={test.error} />
        <Stack spacing={2}>
          <TextField label={t("Input (JSON)")} value={input} onChange={(e) => setInput(e.target.value)} multiline minRows={6}
            error={!!parseError} helperText={parseError} slotProps={{ htmlInput: { style: { fontFamily: "monospace", fontSize: 13 } } }} />
          <TextField label={t("API key ID (optional)")} value={keyId} onChange={(e) => setKeyId(e.target.value)} />
          {d && (
            <Alert severity={d.allow ? "success" : "warning"} role="status" aria-label="Decision">
              {d.allow ? t("Allowed") : t("Denied")} · {d.policy} v{d.version}
              {d.code ? ` · ${d.code}` : ""}{d.reason ? ` · ${d.reason}` : ""}{d.error ? ` · ${d.error}` : ""}
              {d.rewrite ? ` · rewrite ${JSON.stringify(d.rewrite)}` : ""}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{t("Close")}</Button>
        <Button variant="contained" onClick={run} disabled={test.isPending}>{t("Run")}</Button>
      </DialogActions>
    </Dialog>
  );
}
