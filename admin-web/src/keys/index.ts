export { KeysPage } from "./KeysPage";
export { KeyPage } from "./KeyPage";
