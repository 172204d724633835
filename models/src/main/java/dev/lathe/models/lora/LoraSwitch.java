package dev.lathe.models.lora;

/**
 * Whether the adapters of one model take part in its forward: shared by all of them, so switching it off
 * gives the base model (DPO's reference) without a second copy of the weights.
 */
final class LoraSwitch {
    private boolean enabled = true;

    boolean enabled() {
        return enabled;
    }

    /** Turns the adapters off until the returned handle is closed (nested uses restore the outer state). */
    LoraModel.AdaptersOff off() {
        boolean before = enabled;
        enabled = false;
        return () -> enabled = before;
    }
}
