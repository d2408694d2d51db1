import { conflict } from '../../lib/errors.js';

/** Nova's task states (nova/compute/task_states.py) that Kumo uses. */
export const TaskState = {
  SCHEDULING: 'scheduling',
  SPAWNING: 'spawning',
  NETWORKING: 'networking',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  REBOOTING: 'rebooting',
  REBOOTING_HARD: 'rebooting_hard',
  REBOOT_PENDING: 'reboot_pending',
  REBOOT_STARTED: 'reboot_started',
  REBOOT_PENDING_HARD: 'reboot_pending_hard',
  REBOOT_STARTED_HARD: 'reboot_started_hard',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  REBUILDING: 'rebuilding',
  REBUILD_SPAWNING: 'rebuild_spawning',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  RESIZE_CONFIRMING: 'resize_confirming',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_SNAPSHOT_PENDING: 'image_snapshot_pending',
  IMAGE_PENDING_UPLOAD: 'image_pending_upload',
  IMAGE_UPLOADING: 'image_uploading',
  DELETING: 'deleting',
  MIGRATING: 'migrating',
  UPDATING_PASSWORD: 'updating_password',
} as const;

type StateMap = Record<string, Record<string, string>>;

/** vm_state → (task_state | 'default') → API status, as nova/api/openstack/common.py `_STATE_MAP`. */
const STATE_MAP: StateMap = {
  active: {
    default: 'ACTIVE',
    rebooting: 'REBOOT',
    reboot_pending: 'REBOOT',
    reboot_started: 'REBOOT',
    rebooting_hard: 'HARD_REBOOT',
    reboot_pending_hard: 'HARD_REBOOT',
    reboot_started_hard: 'HARD_REBOOT',
    updating_password: 'PASSWORD',
    rebuilding: 'REBUILD',
    rebuild_block_device_mapping: 'REBUILD',
    rebuild_spawning: 'REBUILD',
    migrating: 'MIGRATING',
    resize_prep: 'RESIZE',
    resize_migrating: 'RESIZE',
    resize_migrated: 'RESIZE',
    resize_finish: 'RESIZE',
  },
  building: { default: 'BUILD' },
  stopped: {
    default: 'SHUTOFF',
    resize_prep: 'RESIZE',
    resize_migrating: 'RESIZE',
    resize_migrated: 'RESIZE',
    resize_finish: 'RESIZE',
    rebuilding: 'REBUILD',
    rebuild_block_device_mapping: 'REBUILD',
    rebuild_spawning: 'REBUILD',
  },
  resized: { default: 'VERIFY_RESIZE', resize_reverting: 'REVERT_RESIZE' },
  paused: { default: 'PAUSED', migrating: 'MIGRATING' },
  suspended: { default: 'SUSPENDED' },
  rescued: { default: 'RESCUE' },
  error: { default: 'ERROR', rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD' },
  deleted: { default: 'DELETED' },
  'soft-delete': { default: 'SOFT_DELETED' },
  shelved: { default: 'SHELVED' },
  shelved_offloaded: { default: 'SHELVED_OFFLOADED' },
};

/** The API status of a server. */
export function statusOf(vmState: string, taskState: string | null): string {
  const m = STATE_MAP[vmState];
  if (!m) return 'UNKNOWN';
  return (taskState !== null && m[taskState]) || m.default || 'UNKNOWN';
}

/** The vm_states a status filter names (Nova's status_to_states, coarse: task_state refines through `statusOf`). */
export const KNOWN_STATUSES = new Set(Object.values(STATE_MAP).flatMap((m) => Object.values(m)));

/** Statuses that show `progress` in a server view (nova views/servers.py `_progress_statuses`). */
export const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);
/** Statuses that show `fault` (nova `_fault_statuses`). */
export const FAULT_STATUSES = new Set(['ERROR', 'DELETED']);

/**
 * Nova's @check_instance_state: the action is allowed only from these
 * vm_states and task_states (undefined task list = task_state must be null).
 */
export interface StateRule {
  vmStates: string[];
  taskStates?: (string | null)[];
}

export function checkInstanceState(
  action: string,
  server: { uuid: string; vm_state: string; task_state: string | null },
  rule: StateRule,
): void {
  const tasks = rule.taskStates ?? [null];
  if (!rule.vmStates.includes(server.vm_state)) {
    throw conflict(`Cannot '${action}' instance ${server.uuid} while it is in vm_state ${server.vm_state}`, 'instance_invalid_state');
  }
  if (!tasks.includes(server.task_state)) {
    throw conflict(`Cannot '${action}' instance ${server.uuid} while it is in task_state ${server.task_state}`, 'instance_invalid_state');
  }
}

/** Which states each action accepts (nova/compute/api.py decorators). */
export const ACTION_RULES: Record<string, StateRule> = {
  stop: { vmStates: ['active', 'error'] },
  start: { vmStates: ['stopped'] },
  reboot: {
    vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
    taskStates: [null, 'rebooting', 'reboot_pending', 'reboot_started', 'rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'],
  },
  pause: { vmStates: ['active'] },
  unpause: { vmStates: ['paused'] },
  suspend: { vmStates: ['active'] },
  resume: { vmStates: ['suspended'] },
  rebuild: { vmStates: ['active', 'stopped', 'error'] },
  resize: { vmStates: ['active', 'stopped'] },
  confirmResize: { vmStates: ['resized'] },
  revertResize: { vmStates: ['resized'] },
  createImage: { vmStates: ['active', 'stopped', 'paused', 'suspended'] },
  changePassword: { vmStates: ['active'] },
  migrate: { vmStates: ['active', 'stopped'] },
  'os-migrateLive': { vmStates: ['active', 'paused'] },
};

/** Soft reboot needs a running guest. */
export const SOFT_REBOOT_RULE: StateRule = { vmStates: ['active'], taskStates: [null] };
