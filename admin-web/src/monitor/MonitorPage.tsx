import { useState } from "react";
import { Box } from "@mui/material";
import { useKeyNames } from "../api/keys";
import type { RequestEvent } from "../api/requests";
import { PageHeader } from "../common/PageHeader";
import { useT } from "../i18n/I18n";
import { LiveFeed } from "./LiveFeed";
import { RequestDrawer } from "./RequestDrawer";
import { RequestLog } from "./RequestLog";

export function MonitorPage() {
  const t = useT();
  const { names, keys } = useKeyNames();
  const [open, setOpen] = useState<RequestEvent | null>(null);
  return (
    <Box>
      <PageHeader title={t("Monitor")} />
      <LiveFeed keys={keys} names={names} onOpen={setOpen} />
      <RequestLog keys={keys} names={names} onOpen={setOpen} />
      <RequestDrawer req={open} names={names} onClose={() => setOpen(null)} />
    </Box>
  );
}
