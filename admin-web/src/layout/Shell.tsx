import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import {
  AppBar, Box, Drawer, IconButton, List, ListItemButton, ListItemIcon, ListItemText, Menu, MenuItem, Stack, Toolbar, Tooltip, Typography, useMediaQuery,
} from "@mui/material";
import { useColorScheme, useTheme } from "@mui/material/styles";
import MenuIcon from "@mui/icons-material/Menu";
import DarkIcon from "@mui/icons-material/DarkModeOutlined";
import LightIcon from "@mui/icons-material/LightModeOutlined";
import TranslateIcon from "@mui/icons-material/Translate";
import LogoutIcon from "@mui/icons-material/Logout";
import { navItems } from "./nav";
import { useI18n } from "../i18n/I18n";
import { session } from "../api/session";

const drawerWidth = 220;

function Brand() {
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: "center", px: 2, height: 64 }}>
      <Box component="img" src="/console/favicon.svg" alt="" sx={{ width: 28, height: 28 }} />
      <Typography variant="h6" component="span" sx={{ fontWeight: 700 }}>ccgateway</Typography>
    </Stack>
  );
}

function NavList({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useI18n();
  const loc = useLocation();
  return (
    <List component="nav" aria-label="Main" sx={{ px: 1 }}>
      {navItems.map((n) => {
        const selected = n.to === "/" ? loc.pathname === "/" : loc.pathname.startsWith(n.to);
        return (
          <ListItemButton key={n.to} component={NavLink} to={n.to} end={n.to === "/"} selected={selected} onClick={onNavigate}
            sx={{ borderRadius: 2, mb: 0.5 }}>
            <ListItemIcon sx={{ minWidth: 36 }}>{n.icon}</ListItemIcon>
            <ListItemText primary={t(n.label)} />
          </ListItemButton>
        );
      })}
    </List>
  );
}

/** Shell is the signed-in frame: app bar, navigation drawer (temporary on phones) and the page. */
export function Shell() {
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up("md"));
  const [open, setOpen] = useState(false);
  const [langMenu, setLangMenu] = useState<HTMLElement | null>(null);
  const { t, lang, setLang } = useI18n();
  const { mode, systemMode, setMode } = useColorScheme();
  const dark = (mode === "system" ? systemMode : mode) === "dark";

  const drawer = (
    <>
      <Brand />
      <NavList onNavigate={() => setOpen(false)} />
    </>
  );
  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <AppBar position="fixed" color="inherit" sx={{ width: wide ? `calc(100% - ${drawerWidth}px)` : "100%", ml: wide ? `${drawerWidth}px` : 0, borderBottom: 1, borderColor: "divider", bgcolor: "background.paper" }}>
        <Toolbar>
          {!wide && (
            <IconButton edge="start" aria-label={t("Open navigation")} onClick={() => setOpen(true)} sx={{ mr: 1 }}>
              <MenuIcon />
            </IconButton>
          )}
          {!wide && <Typography variant="h6" component="span" sx={{ fontWeight: 700 }}>ccgateway</Typography>}
          {wide && <Typography variant="body2" color="text.secondary">{t("Admin console")}</Typography>}
          <Box sx={{ flex: 1 }} />
          <Tooltip title={t("Language")}>
            <IconButton aria-label={t("Language")} onClick={(e) => setLangMenu(e.currentTarget)}><TranslateIcon /></IconButton>
          </Tooltip>
          <Menu anchorEl={langMenu} open={!!langMenu} onClose={() => setLangMenu(null)}>
            <MenuItem selected={lang === "en"} onClick={() => { setLang("en"); setLangMenu(null); }}>English</MenuItem>
            <MenuItem selected={lang === "zh-CN"} onClick={() => { setLang("zh-CN"); setLangMenu(null); }}>简体中文</MenuItem>
          </Menu>
          <Tooltip title={t("Toggle dark mode")}>
            <IconButton aria-label={t("Toggle dark mode")} onClick={() => setMode(dark ? "light" : "dark")}>{dark ? <LightIcon /> : <DarkIcon />}</IconButton>
          </Tooltip>
          <Tooltip title={t("Sign out")}>
            <IconButton aria-label={t("Sign out")} onClick={() => session.signOut()}><LogoutIcon /></IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      {wide ? (
        <Drawer variant="permanent" sx={{ width: drawerWidth, flexShrink: 0, "& .MuiDrawer-paper": { width: drawerWidth, borderRight: 1, borderColor: "divider" } }}>
          {drawer}
        </Drawer>
      ) : (
        <Drawer variant="temporary" open={open} onClose={() => setOpen(false)} ModalProps={{ keepMounted: true }} sx={{ "& .MuiDrawer-paper": { width: drawerWidth } }}>
          {drawer}
        </Drawer>
      )}
      <Box component="main" sx={{ flex: 1, minWidth: 0, p: { xs: 1.5, sm: 3 }, pt: { xs: 9.5, sm: 11 } }}>
        <Outlet />
      </Box>
    </Box>
  );
}
