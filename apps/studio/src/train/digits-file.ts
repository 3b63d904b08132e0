// Where the page's digits are and how many: shared by the build plugin that writes the file and
// the page that fetches it.

/** The digits file's name in the built folder (beside index.html). */
export const DIGITS_FILE = "mnist-digits.bin";
/**
 * The first 2,000 training digits of @unfold/datasets' fixed split (a quarter of the trainer's
 * 8,000) and the last 500 of its test digits (a subset of the trainer's 2,000 test digits, since
 * the split takes test digits from the end): 1.96 MB as bytes.
 */
export const PAGE_TRAIN_DIGITS = 2_000;
export const PAGE_TEST_DIGITS = 500;
