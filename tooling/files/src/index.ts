// How Unfold's apps write files: see each module.
export { openAppendNoFollow, readFileNoFollow, symlinkRefused } from "./append.js";
export { type AtomicWriteOptions, TEMP_PREFIX, tempPathFor, writeFileAtomic, writeFileAtomicSync } from "./atomic.js";
export { makeDirectory, prepareOutputDirectory, prepareOutputFile } from "./directory.js";
export { OutputError, describeFsError, fsErrorCode, writingTo } from "./errors.js";
export { type DirectoryLock, LOCK_FILE, type LockOptions, type LockOwner, describeOwner, lockDirectory, readLock } from "./lock.js";
export { type ChecksumResult, checksumPathFor, sha256Hex, verifyChecksum, writeChecksum } from "./checksum.js";
