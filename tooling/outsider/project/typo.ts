// Must NOT compile: the term reads a parameter the energy does not declare ("Tt" for "T").
// @boundaries-ignore resolved from the packed tarballs in a project outside the workspace
import { defineEnergy, ops } from "@unfold/core";

export const energy = defineEnergy({
  name: "typo",
  params: { T: { shape: [2] } },
  terms: [{ name: "pull", value: (X, p) => ops.sum(ops.mul(ops.sub(X, p.Tt), ops.sub(X, p.Tt))) }],
});
