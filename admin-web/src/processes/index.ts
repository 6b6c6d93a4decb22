export { ProcessesPage } from "./ProcessesPage";
