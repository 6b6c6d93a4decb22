export { MonitorPage } from "./MonitorPage";
