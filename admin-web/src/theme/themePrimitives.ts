// Design tokens: colours, shape and type shared by the light and dark schemes.
export const brand = {
  50: "#eef2ff", 100: "#e0e7ff", 200: "#c7d2fe", 300: "#a5b4fc", 400: "#818cf8",
  500: "#6366f1", 600: "#4f46e5", 700: "#4338ca", 800: "#3730a3", 900: "#312e81",
};

export const gray = {
  50: "#f8fafc", 100: "#f1f5f9", 200: "#e2e8f0", 300: "#cbd5e1", 400: "#94a3b8",
  500: "#64748b", 600: "#475569", 700: "#334155", 800: "#1e293b", 900: "#0f172a", 950: "#0b1120",
};

export const shape = { borderRadius: 10 };

// System fonts only: the console works offline and loads nothing from a CDN.
export const typography = {
  fontFamily: '"Inter", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans SC", "WenQuanYi Micro Hei", "PingFang SC", sans-serif',
  h4: { fontWeight: 650, fontSize: "1.6rem" },
  h5: { fontWeight: 650, fontSize: "1.25rem" },
  h6: { fontWeight: 600, fontSize: "1.05rem" },
  button: { textTransform: "none" as const, fontWeight: 600 },
};

export const colorSchemes = {
  light: {
    palette: {
      primary: { main: brand[600], light: brand[400], dark: brand[800], contrastText: "#fff" },
      background: { default: gray[50], paper: "#ffffff" },
      divider: gray[200],
      text: { primary: gray[900], secondary: gray[600] },
    },
  },
  dark: {
    palette: {
      primary: { main: brand[400], light: brand[300], dark: brand[600], contrastText: gray[950] },
      background: { default: gray[950], paper: gray[900] },
      divider: gray[800],
      text: { primary: gray[100], secondary: gray[400] },
    },
  },
};
