import { Chip, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";
import type { RequestEvent } from "../api/requests";
import { useI18n } from "../i18n/I18n";
import { fmtInt, fmtMs, fmtUSD } from "./format";

export function StatusCode({ code }: { code: number }) {
  return <Chip label={code} color={code >= 500 ? "error" : code >= 400 ? "warning" : "success"} variant="outlined" />;
}

type Props = { label: string; rows: RequestEvent[]; names: Map<string, string>; onOpen?: (r: RequestEvent) => void; empty: string; showKey?: boolean };

/** RequestTable lists request events: time, key name, endpoint, model, status code, tokens, cost, latency. */
export function RequestTable({ label, rows, names, onOpen, empty, showKey = true }: Props) {
  const { t, lang } = useI18n();
  const hide = { display: { xs: "none", md: "table-cell" } };
  return (
    <TableContainer>
      <Table size="small" aria-label={label}>
        <TableHead>
          <TableRow>
            <TableCell>{t("Time")}</TableCell>
            {showKey && <TableCell>{t("Key")}</TableCell>}
            <TableCell sx={hide}>{t("Endpoint")}</TableCell>
            <TableCell sx={hide}>{t("Model")}</TableCell>
            <TableCell>{t("Status code")}</TableCell>
            <TableCell align="right">{t("Tokens")}</TableCell>
            <TableCell align="right" sx={hide}>{t("Cost")}</TableCell>
            <TableCell align="right">{t("Duration")}</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((r) => (
            <TableRow key={`${r.request_id}-${r.timestamp}`} hover={!!onOpen} onClick={onOpen ? () => onOpen(r) : undefined}
              sx={{ cursor: onOpen ? "pointer" : undefined }} tabIndex={onOpen ? 0 : undefined}
              onKeyDown={onOpen ? (e) => e.key === "Enter" && onOpen(r) : undefined}>
              <TableCell sx={{ whiteSpace: "nowrap" }}>{new Date(r.timestamp).toLocaleTimeString(lang)}</TableCell>
              {showKey && <TableCell>{names.get(r.api_key_id) ?? (r.api_key_id || "–")}</TableCell>}
              <TableCell sx={{ ...hide, fontFamily: "monospace" }}>{r.method} {r.endpoint}</TableCell>
              <TableCell sx={hide}>{r.model || "–"}</TableCell>
              <TableCell><StatusCode code={r.status_code} /></TableCell>
              <TableCell align="right">{fmtInt(r.total_tokens, lang)}</TableCell>
              <TableCell align="right" sx={hide}>{fmtUSD(r.cost_usd)}</TableCell>
              <TableCell align="right">{fmtMs(r.response_time_ms)}</TableCell>
            </TableRow>
          ))}
          {rows.length === 0 && (
            <TableRow><TableCell colSpan={8}><Typography variant="body2" color="text.secondary">{empty}</Typography></TableCell></TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
