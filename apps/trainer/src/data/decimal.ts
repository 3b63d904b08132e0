/**
 * A decimal number as a person writes one in a flag or a CSV cell. Number() also takes
 * hexadecimal ("0x10"), binary ("0b11"), "Infinity" and blank text, none of which a data file or
 * a flag means; they are refused rather than silently read as 16, 3, Infinity or 0.
 */
export const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Words for infinity and not-a-number that Number() reads or that a spreadsheet writes. */
export const NON_FINITE_WORD = /^[+-]?(inf|infinity|nan)$/i;
