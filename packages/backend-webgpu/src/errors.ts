import { UnfoldError } from "@unfold/core";

/** The one command that gives a Debian machine without a GPU a WebGPU adapter (Mesa's lavapipe). */
export const INSTALL_DRIVER_HINT = "sudo bash scripts/install-webgpu-driver.sh";

/** No adapter: say how to get one, since the fix is outside the program. */
export function noAdapter(where: string): UnfoldError {
  return new UnfoldError(
    "webgpu backend",
    `no WebGPU adapter (${where}). In Node, install a Vulkan driver: on Debian run \`${INSTALL_DRIVER_HINT}\` as root (it installs Mesa's lavapipe, a software driver), or use a machine with a GPU; in a browser, use one with WebGPU enabled.`,
  );
}

export function deviceLost(op: string, reason: string, message: string): UnfoldError {
  return new UnfoldError(op, `the WebGPU device was lost (reason: ${reason}${message ? `: ${message}` : ""}); create a new backend to continue`);
}

/** A tensor over the device's largest storage binding: names it and both sizes. */
export function tensorTooLarge(op: string, what: string, bytes: number, limit: number): UnfoldError {
  return new UnfoldError(op, `${what} needs a ${bytes}-byte buffer, over this device's maxStorageBufferBindingSize of ${limit} bytes`);
}
