import { unfoldProject } from "@unfold/vitest-config";

export default unfoldProject("sweep");
