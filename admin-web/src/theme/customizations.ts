import type { Components, Theme } from "@mui/material/styles";

// Component overrides, one place per component family.
export const surfaces: Components<Theme> = {
  MuiPaper: { defaultProps: { elevation: 0 }, styleOverrides: { root: ({ theme }) => ({ backgroundImage: "none", border: `1px solid ${theme.palette.divider}` }) } },
  MuiAppBar: { styleOverrides: { root: { border: "none" } } },
  MuiDrawer: { styleOverrides: { paper: { border: "none" } } },
  MuiCard: { defaultProps: { variant: "outlined" } },
};

export const inputs: Components<Theme> = {
  MuiButton: { defaultProps: { disableElevation: true } },
  MuiTextField: { defaultProps: { size: "small", fullWidth: true } },
  MuiSelect: { defaultProps: { size: "small" } },
};

export const dataDisplay: Components<Theme> = {
  MuiTableCell: { styleOverrides: { head: { fontWeight: 600, whiteSpace: "nowrap" }, root: { paddingTop: 8, paddingBottom: 8 } } },
  MuiChip: { defaultProps: { size: "small" } },
};
