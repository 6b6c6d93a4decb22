import { Box, Drawer, IconButton, Stack, Table, TableBody, TableCell, TableRow, Typography } from "@mui/material";
import CloseIcon from "@mui/icons-material/Close";
import type { RequestEvent } from "../api/requests";
import { fmtMs, fmtTime, fmtUSD } from "../common/format";
import { useI18n } from "../i18n/I18n";

export function RequestDrawer({ req, names, onClose }: { req: RequestEvent | null; names: Map<string, string>; onClose: () => void }) {
  const { t, lang } = useI18n();
  const rows: [string, React.ReactNode][] = req
    ? [
        [t("Time"), fmtTime(req.timestamp, lang)],
        [t("Key"), `${names.get(req.api_key_id) ?? "–"} (${req.api_key_id || "–"})`],
        [t("Endpoint"), `${req.method} ${req.endpoint}`],
        [t("Status code"), req.status_code],
        [t("Model"), req.model || "–"],
        [t("Input tokens"), req.request_tokens],
        [t("Output tokens"), req.response_tokens],
        ["cache read / creation", `${req.cache_read_input_tokens} / ${req.cache_creation_input_tokens}`],
        [t("Cost"), fmtUSD(req.cost_usd)],
        [t("Duration"), fmtMs(req.response_time_ms)],
        [t("Time to first token"), fmtMs(req.ttft_ms)],
        [t("Conversation ID"), req.conversation_id || "–"],
        ["request_id", req.request_id],
        [t("Node"), req.node || "–"],
        [t("Errors"), req.error || "–"],
      ]
    : [];
  return (
    <Drawer anchor="right" open={!!req} onClose={onClose} slotProps={{ paper: { sx: { width: { xs: "100%", sm: 440 } } } }}>
      <Box role="dialog" aria-label={t("Request details")} sx={{ p: 2 }}>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 1 }}>
          <Typography variant="h6" component="h2">{t("Request details")}</Typography>
          <IconButton aria-label={t("Close")} onClick={onClose}><CloseIcon /></IconButton>
        </Stack>
        <Table size="small">
          <TableBody>
            {rows.map(([k, v]) => (
              <TableRow key={k}>
                <TableCell component="th" sx={{ color: "text.secondary", width: 150 }}>{k}</TableCell>
                <TableCell sx={{ wordBreak: "break-all", fontFamily: typeof v === "string" && v.length > 20 ? "monospace" : undefined }}>{v}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </Drawer>
  );
}
