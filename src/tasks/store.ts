import type { RecordWrite } from '../events/bus.js';
import type { Task, TaskPatch } from './model.js';

export interface TaskStore {
  create(task: Task): Promise<Task>;
  /**
   * What `create` writes, for a bus that stores it in the step that publishes
   * the task's event (EventBus.publishWithRecord); absent where the store
   * keeps its tasks apart from the log (embedded mode).
   */
  recordOf?(task: Task): RecordWrite;
  get(id: string): Promise<Task | null>;
  list(repository: string): Promise<Task[]>;
  /** Applies the patch and sets updatedAt; null when no such task. */
  update(id: string, patch: TaskPatch, updatedAt: string): Promise<Task | null>;
  /** Removes the task; returns it as it was, or null when no such task. */
  delete(id: string): Promise<Task | null>;
}
