import { useEffect, useRef, useState } from "react";
import { Button, Card, CardContent, Chip, Stack, TextField, Typography } from "@mui/material";
import PauseIcon from "@mui/icons-material/Pause";
import PlayIcon from "@mui/icons-material/PlayArrow";
import { useQueryClient } from "@tanstack/react-query";
import { useRequestFeed } from "../api/events";
import { keyQueries, type APIKey } from "../api/keys";
import { requestQueries, type RequestEvent } from "../api/requests";
import { RequestTable } from "../common/RequestTable";
import { useT } from "../i18n/I18n";
import { KeySelect, StatusSelect, type StatusFilter } from "./FeedFilters";

const maxRows = 200;
// logRefreshDelay is how long after a live event the request log is refetched:
// the gateway publishes an event when the request ends and writes its row within
// usage-flush-interval (1 s by default), so the log reads it on the next refetch.
const logRefreshDelay = 1_500;

/** LiveFeed shows requests as they end, from GET /admin/events; pausing buffers nothing.
 * Each event also refreshes the request log (and any other request list) shortly after. */
export function LiveFeed({ keys, names, onOpen }: { keys: APIKey[]; names: Map<string, string>; onOpen: (r: RequestEvent) => void }) {
  const t = useT();
  const [rows, setRows] = useState<RequestEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [keyId, setKeyId] = useState("");
  const [status, setStatus] = useState<StatusFilter>("");
  const [model, setModel] = useState("");
  const qc = useQueryClient();
  const refresh = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(refresh.current), []);
  const state = useRequestFeed(
    (e) => {
      refresh.current ??= setTimeout(() => {
        refresh.current = undefined;
        qc.invalidateQueries({ queryKey: requestQueries.all });
      }, logRefreshDelay);
      if (paused) return;
      if (e.api_key_id && !names.has(e.api_key_id)) qc.invalidateQueries({ queryKey: keyQueries.names });
      setRows((r) => [e, ...r].slice(0, maxRows));
    },
    { api_key_id: keyId, errors_only: status === "errors" },
  );
  const shown = rows.filter((r) => (status !== "ok" || r.status_code < 400) && (!model || r.model.includes(model)));
  return (
    <Card component="section" aria-label={t("Live feed")} sx={{ mb: 2 }}>
      <CardContent>
        <Stack direction={{ xs: "column", md: "row" }} spacing={1.5} sx={{ alignItems: { md: "center" }, mb: 1 }}>
          <Stack direction="row" spacing={1} sx={{ alignItems: "center", flex: 1 }}>
            <Typography variant="h6" component="h2">{t("Live feed")}</Typography>
            <Chip size="small" color={paused ? "default" : state === "open" ? "success" : "warning"}
              label={paused ? t("Paused") : state === "open" ? t("Connected") : t("Reconnecting…")} />
          </Stack>
          <Stack direction="row" spacing={1} sx={{ flexWrap: "wrap", gap: 1 }}>
            <KeySelect keys={keys} value={keyId} onChange={setKeyId} />
            <StatusSelect value={status} onChange={setStatus} />
            <TextField label={t("Model")} value={model} onChange={(e) => setModel(e.target.value)} sx={{ width: 150 }} fullWidth={false} />
            <Button variant="outlined" startIcon={paused ? <PlayIcon /> : <PauseIcon />} onClick={() => setPaused(!paused)}>
              {paused ? t("Resume") : t("Pause")}
            </Button>
          </Stack>
        </Stack>
      </CardContent>
      <RequestTable label={t("Live feed")} rows={shown} names={names} onOpen={onOpen} empty={t("Waiting for requests…")} />
    </Card>
  );
}
