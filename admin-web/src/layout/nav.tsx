import DashboardIcon from "@mui/icons-material/SpaceDashboardOutlined";
import KeyIcon from "@mui/icons-material/VpnKeyOutlined";
import MonitorIcon from "@mui/icons-material/MonitorHeartOutlined";
import MemoryIcon from "@mui/icons-material/MemoryOutlined";
import PolicyIcon from "@mui/icons-material/PolicyOutlined";
import HistoryIcon from "@mui/icons-material/HistoryOutlined";
import ChatIcon from "@mui/icons-material/ChatBubbleOutline";

export const navItems = [
  { to: "/", label: "Dashboard", icon: <DashboardIcon /> },
  { to: "/keys", label: "API keys", icon: <KeyIcon /> },
  { to: "/monitor", label: "Monitor", icon: <MonitorIcon /> },
  { to: "/processes", label: "Processes", icon: <MemoryIcon /> },
  { to: "/policies", label: "Policies", icon: <PolicyIcon /> },
  { to: "/audit", label: "Audit log", icon: <HistoryIcon /> },
  { to: "/playground", label: "Playground", icon: <ChatIcon /> },
];
