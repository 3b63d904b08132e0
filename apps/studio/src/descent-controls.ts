// The damping slider and the tied-weights toggle: set to each scene's own values when it loads,
// disabled with a note where the scene has no attention MM step or can only be tied, and read
// back as the part of DescentSettings they set.
import { type DescentSettings, weightsChoice } from "./descent-settings.js";
import { type SceneInstance, dampedStep } from "./scenes.js";

export interface DescentControlElements {
  readonly damping: HTMLInputElement;
  readonly dampingValue: HTMLOutputElement;
  readonly dampingNote: HTMLElement;
  readonly tied: HTMLInputElement;
  readonly tiedNote: HTMLElement;
}

export interface DescentControls {
  /** Sets both controls to the scene's own values (or disables them, saying why). */
  showScene(sceneName: string, instance: SceneInstance): void;
  /** What the controls set: damping where the scene has the step, and tied. */
  settings(): Pick<DescentSettings, "damping" | "tied">;
  /** Sets them to shared values; a value the scene cannot take is an error naming it, never dropped. */
  apply(shared: Pick<DescentSettings, "damping" | "tied">): void;
  /** Calls `listener` when the user moves either control. */
  onChange(listener: () => void): void;
}

export function mountDescentControls(ui: DescentControlElements): DescentControls {
  const showDamping = (): void => {
    ui.dampingValue.value = ui.damping.disabled ? "none" : Number(ui.damping.value).toFixed(2);
  };
  return {
    showScene(sceneName, instance) {
      const damped = dampedStep(instance.unfolding);
      ui.damping.disabled = !damped;
      if (damped) ui.damping.value = String(damped.step.stepSize);
      ui.dampingNote.textContent = damped
        ? `The size of step '${damped.step.name}' (majorize-minimize on the attention term): 1 is the full step; any value in (0, 2) lowers that term.`
        : `'${sceneName}' has no attention majorize-minimize step to damp.`;
      showDamping();
      const choice = weightsChoice(instance);
      ui.tied.checked = choice.tied;
      ui.tied.disabled = !choice.canUntie;
      ui.tiedNote.textContent = choice.note;
    },
    settings() {
      return { ...(ui.damping.disabled ? {} : { damping: Number(ui.damping.value) }), tied: ui.tied.checked };
    },
    apply(shared) {
      if (shared.damping !== undefined) {
        if (ui.damping.disabled) throw new Error(`damping ${shared.damping}: ${ui.dampingNote.textContent}`);
        ui.damping.value = String(shared.damping);
        // The range input snaps a value to its grid: say so rather than run another damping.
        if (Number(ui.damping.value) !== shared.damping) throw new Error(`damping ${shared.damping}: the slider takes steps of ${ui.damping.step} in [${ui.damping.min}, ${ui.damping.max}]`);
        showDamping();
      }
      if (shared.tied !== undefined) {
        if (!shared.tied && ui.tied.disabled) throw new Error(`tied false (untied weights): ${ui.tiedNote.textContent}`);
        ui.tied.checked = shared.tied;
      }
    },
    onChange(listener) {
      ui.damping.addEventListener("input", () => {
        showDamping();
        listener();
      });
      ui.tied.addEventListener("change", listener);
    },
  };
}
