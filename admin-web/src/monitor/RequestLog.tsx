import { useState } from "react";
import { Card, CardContent, Stack, TablePagination, TextField, Typography } from "@mui/material";
import type { APIKey } from "../api/keys";
import { useRequests, type RequestEvent } from "../api/requests";
import { ErrorAlert } from "../common/ErrorAlert";
import { fromLocalInput, toLocalInput } from "../common/format";
import { RequestTable } from "../common/RequestTable";
import { useT } from "../i18n/I18n";
import { KeySelect, StatusSelect, type StatusFilter } from "./FeedFilters";

export function RequestLog({ keys, names, onOpen }: { keys: APIKey[]; names: Map<string, string>; onOpen: (r: RequestEvent) => void }) {
  const t = useT();
  const [keyId, setKeyId] = useState("");
  const [status, setStatus] = useState<StatusFilter>("");
  const [code, setCode] = useState("");
  const [model, setModel] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [page, setPage] = useState(0);
  const [rows, setRows] = useState(25);
  const q = useRequests({
    api_key_id: keyId || undefined, model: model || undefined, errors_only: status === "errors" || undefined,
    status: code ? Number(code) : undefined, from: from || undefined, to: to || undefined, limit: rows, offset: page * rows,
  }, 10_000);
  const items = (q.data?.items ?? []).filter((r) => status !== "ok" || r.status_code < 400);
  const reset = <T,>(f: (v: T) => void) => (v: T) => { f(v); setPage(0); };
  return (
    <Card component="section" aria-label={t("Request log")}>
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>{t("Request log")}</Typography>
        <ErrorAlert error={q.error} />
        <Stack direction="row" spacing={1} sx={{ flexWrap: "wrap", gap: 1 }}>
          <KeySelect keys={keys} value={keyId} onChange={reset(setKeyId)} />
          <StatusSelect value={status} onChange={reset(setStatus)} />
          <TextField label={t("Status code")} value={code} onChange={(e) => reset(setCode)(e.target.value)} sx={{ width: 120 }} fullWidth={false} />
          <TextField label={t("Model")} value={model} onChange={(e) => reset(setModel)(e.target.value)} sx={{ width: 150 }} fullWidth={false} />
          <TextField type="datetime-local" label={t("From")} value={toLocalInput(from)} slotProps={{ inputLabel: { shrink: true } }} fullWidth={false}
            onChange={(e) => reset(setFrom)(fromLocalInput(e.target.value) ?? "")} />
          <TextField type="datetime-local" label={t("To")} value={toLocalInput(to)} slotProps={{ inputLabel: { shrink: true } }} fullWidth={false}
            onChange={(e) => reset(setTo)(fromLocalInput(e.target.value) ?? "")} />
        </Stack>
      </CardContent>
      <RequestTable label={t("Request log")} rows={items} names={names} onOpen={onOpen} empty={t("No data in this period.")} />
      <TablePagination component="div" count={q.data?.total ?? 0} page={page} rowsPerPage={rows} rowsPerPageOptions={[25, 50, 100]}
        onPageChange={(_, p) => setPage(p)} onRowsPerPageChange={(e) => { setRows(Number(e.target.value)); setPage(0); }} />
    </Card>
  );
}
