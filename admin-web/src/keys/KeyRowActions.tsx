import { IconButton, Stack, Tooltip } from "@mui/material";
import EditIcon from "@mui/icons-material/EditOutlined";
import PauseIcon from "@mui/icons-material/PauseCircleOutline";
import PlayIcon from "@mui/icons-material/PlayCircleOutline";
import AutorenewIcon from "@mui/icons-material/Autorenew";
import DeleteIcon from "@mui/icons-material/DeleteOutline";
import type { APIKey } from "../api/keys";
import { useT } from "../i18n/I18n";

type Props = { k: APIKey; onEdit: () => void; onStatus: (s: "active" | "suspended") => void; onRotate: () => void; onDelete: () => void };

export function KeyRowActions({ k, onEdit, onStatus, onRotate, onDelete }: Props) {
  const t = useT();
  const act = (label: string, icon: React.ReactNode, onClick: () => void, color?: "error") => (
    <Tooltip title={label}>
      <IconButton size="small" aria-label={label} onClick={onClick} color={color}>{icon}</IconButton>
    </Tooltip>
  );
  return (
    <Stack direction="row" spacing={0.25}>
      {act(t("Edit"), <EditIcon fontSize="small" />, onEdit)}
      {k.status === "active"
        ? act(t("Suspend"), <PauseIcon fontSize="small" />, () => onStatus("suspended"))
        : act(t("Activate"), <PlayIcon fontSize="small" />, () => onStatus("active"))}
      {act(t("Rotate"), <AutorenewIcon fontSize="small" />, onRotate)}
      {act(t("Delete"), <DeleteIcon fontSize="small" />, onDelete, "error")}
    </Stack>
  );
}
