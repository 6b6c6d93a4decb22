import { useRef, useState } from "react";
import { Alert, Box, Button, Card, CardContent, Chip, Grid, MenuItem, Stack, TextField, Typography } from "@mui/material";
import SendIcon from "@mui/icons-material/Send";
import { streamChat, useModels, type ChatResponse } from "../api/chat";
import { useKeyNames } from "../api/keys";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtMs, fmtUSD } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { useT } from "../i18n/I18n";

type Turn = { role: "user" | "assistant"; text: string };

export function PlaygroundPage() {
  const t = useT();
  const { keys } = useKeyNames();
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [model, setModel] = useState("");
  const [message, setMessage] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [conversation, setConversation] = useState("");
  const [last, setLast] = useState<(ChatResponse & { ttft: number; latency: number }) | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const models = useModels(secret.trim());
  const abort = useRef<AbortController | null>(null);

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!message.trim() || !secret.trim()) return;
    const text = message;
    setMessage("");
    setError(null);
    setBusy(true);
    setTurns((ts) => [...ts, { role: "user", text }, { role: "assistant", text: "" }]);
    const started = performance.now();
    let ttft = 0;
    abort.current = new AbortController();
    try {
      const done = await streamChat(secret.trim(), { message: text, model: model || undefined, conversation_id: conversation || undefined }, {
        onStart: (s) => setConversation(s.conversation_id),
        onDelta: (d) => {
          if (!ttft) ttft = performance.now() - started;
          setTurns((ts) => [...ts.slice(0, -1), { role: "assistant", text: ts[ts.length - 1].text + d }]);
        },
      }, abort.current.signal);
      setConversation(done.conversation_id);
      setTurns((ts) => [...ts.slice(0, -1), { role: "assistant", text: done.content }]);
      setLast({ ...done, ttft: Math.round(ttft), latency: Math.round(performance.now() - started) });
    } catch (err) {
      setError(err);
      setTurns((ts) => ts.slice(0, -1));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box>
      <PageHeader title={t("Playground")} />
      <Grid container spacing={2}>
        <Grid size={{ xs: 12, md: 4 }}>
          <Card>
            <CardContent>
              <Stack spacing={2}>
                <TextField select label={t("Pick a key")} value={keyId} onChange={(e) => setKeyId(e.target.value)}>
                  <MenuItem value="">{t("None")}</MenuItem>
                  {keys.filter((k) => k.status === "active").map((k) => <MenuItem key={k.id} value={k.id}>{k.name} · {k.key}</MenuItem>)}
                </TextField>
                <TextField label={t("API key secret")} type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="off"
                  helperText={t("Paste the key's secret (sk-ccg-…): the console never stores it.")} />
                <TextField select label={t("Model")} value={model} onChange={(e) => setModel(e.target.value)} disabled={!models.data}>
                  <MenuItem value="">default</MenuItem>
                  {models.data?.models.map((m) => <MenuItem key={m.id} value={m.id}>{m.id}{m.default ? " (default)" : ""}</MenuItem>)}
                </TextField>
                <Button variant="outlined" onClick={() => { setConversation(""); setTurns([]); setLast(null); }}>{t("New conversation")}</Button>
                <Box>
                  <Typography variant="caption" color="text.secondary">{t("Conversation ID")}</Typography>
                  <Typography variant="body2" aria-label={t("Conversation ID")} sx={{ fontFamily: "monospace", wordBreak: "break-all" }}>{conversation || "–"}</Typography>
                </Box>
                {last && (
                  <Stack direction="row" spacing={1} sx={{ flexWrap: "wrap", gap: 1 }} aria-label={t("Usage")}>
                    <Chip label={`${t("Input tokens")}: ${last.usage.input_tokens}`} />
                    <Chip label={`${t("Output tokens")}: ${last.usage.output_tokens}`} />
                    <Chip label={`${t("Cost")}: ${fmtUSD(last.cost_usd)}`} />
                    <Chip label={`${t("Latency")}: ${fmtMs(last.latency)}`} />
                    <Chip label={`${t("Time to first token")}: ${fmtMs(last.ttft)}`} />
                  </Stack>
                )}
              </Stack>
            </CardContent>
          </Card>
        </Grid>
        <Grid size={{ xs: 12, md: 8 }}>
          <Card sx={{ display: "flex", flexDirection: "column", minHeight: 420 }}>
            <Box role="log" aria-label="Transcript" aria-live="polite" sx={{ flex: 1, p: 2, overflowY: "auto" }}>
              {turns.map((tu, i) => (
                <Box key={i} sx={{ display: "flex", justifyContent: tu.role === "user" ? "flex-end" : "flex-start", mb: 1 }}>
                  <Box sx={{ maxWidth: "80%", px: 1.5, py: 1, borderRadius: 2, whiteSpace: "pre-wrap",
                    bgcolor: tu.role === "user" ? "primary.main" : "action.hover", color: tu.role === "user" ? "primary.contrastText" : "text.primary" }}>
                    {tu.text || "…"}
                  </Box>
                </Box>
              ))}
            </Box>
            <Box sx={{ p: 2, borderTop: 1, borderColor: "divider" }}>
              {error ? <ErrorAlert error={error} /> : null}
              {!secret && <Alert severity="info" sx={{ mb: 1 }}>{t("Paste the key's secret (sk-ccg-…): the console never stores it.")}</Alert>}
              <Stack component="form" direction="row" spacing={1} onSubmit={send}>
                <TextField label={t("Message")} value={message} onChange={(e) => setMessage(e.target.value)} multiline maxRows={6}
                  onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); (e.currentTarget.closest("form") as HTMLFormElement)?.requestSubmit(); } }} />
                <Button type="submit" variant="contained" endIcon={<SendIcon />} disabled={busy || !secret || !message.trim()}>{t("Send")}</Button>
              </Stack>
            </Box>
          </Card>
        </Grid>
      </Grid>
    </Box>
  );
}
