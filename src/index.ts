/**
 * nsbox: Linux namespaces for TypeScript.
 *
 * `spawn()` is `child_process.spawn` with namespace options; `run()` runs to completion.
 * See README.md for the option table.
 */
export { spawn, spawnSpec, run } from './spawn.js';
export { signalNumber } from './signals.js';
export type { SpawnOptions, SandboxedChildProcess, SandboxInfo, RunOptions, RunResult } from './spawn.js';
export type { SandboxOptions } from './options.js';
export { HelperExitError, NamespaceError } from './errors.js';
export type { NamespaceSet } from './namespaces.js';
export { NAMESPACE_KINDS, encodeSpec } from './spec.js';
export type { SandboxSpec, NamespaceKind, IdMapRange, IdMapSpec, IdMapWriter, Propagation } from './spec.js';
export type { Step } from './steps.js';
export { enter, persist, unpersist, EnterSetupError } from './enter.js';
export type { EnterTarget, EnterOptions, PersistOptions } from './enter.js';
export type { EnterSpec } from './enterspec.js';
export { listNamespaces, LsnsError, LSNS_TYPES } from './lsns.js';
export type { NamespaceRecord, ListNamespacesFilter, LsnsType } from './lsns.js';
export * from './profiles/index.js';
export { spawnProfile, profileToOptions, expandVars, ProfileRunError } from './profiles/run.js';
export type { ProfileRunContext, ProfileSpawnOptions, SpawnProfileOptions, ProfileEnv } from './profiles/run.js';
export type { BindSpec, BindMode as SandboxBindMode } from './spec.js';
export type { DroppedNamespace } from './report.js';
export { startUserNet, spawnWithUserNet, findUserNetTool, UserNetError, MISSING_TOOL_MESSAGE } from './netuser.js';
export type { UserNet, UserNetOptions, UserNetTool, UserNetChildProcess } from './netuser.js';
export { containerOptions, spawnContainer, hostnameFromPath } from './container.js';
export type { ContainerChoices } from './container.js';
export type { ContainerMount } from './options.js';
export type { MountSpec, TmpfsSpec } from './spec.js';
export { importRootfs, RootfsImportError } from './rootfs/import.js';
export type { ImportOptions, ImportProgress, ImportResult } from './rootfs/import.js';
