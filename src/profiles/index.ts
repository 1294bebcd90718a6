/**
 * Profiles in the library: named, persistent isolation settings (the same files
 * `nsbox profile` edits), as typed objects. Load, validate, edit (locked read-modify-write),
 * save, list, delete, copy; the editing verbs as pure functions.
 */
export { PROFILE_UNSHARE_OPTIONS, PROFILE_TRY_OPTIONS, PROFILE_VERSION, emptyProfile } from './types.js';
export type { Profile, ProfileBind, BindMode, ProfileUnshareOption } from './types.js';
export { ProfileError, PROFILE_NAME_MAX, validateProfile, validateProfileName, parseProfileText, serializeProfile } from './validate.js';
export type { ProfileErrorKind } from './validate.js';
export {
  resolveProfileDir,
  profilePath,
  loadProfile,
  loadProfileFile,
  profileExists,
  listProfiles,
  editProfile,
  saveProfile,
  deleteProfile,
  copyProfile,
} from './store.js';
export type { ProfileStoreOptions, EditProfileOptions, CopyProfileOptions } from './store.js';
export {
  parseUnshareOptions,
  unshareAdd,
  unshareDel,
  unshareSet,
  unshareClear,
  unshareList,
  envAdd,
  envSet,
  envDel,
  envClear,
  envList,
  bindAdd,
  bindDel,
  bindClear,
  bindList,
  hostnameSet,
  hostnameClear,
  rootfsSet,
  rootfsClear,
  cwdSet,
  cwdClear,
  commandSet,
  commandClear,
  commandShow,
  timeSet,
  timeClear,
  timeList,
} from './edit.js';
