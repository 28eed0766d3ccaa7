import { applyPatch, type Task } from './model.js';
import type { TaskStore } from './store.js';

export function createMemoryTaskStore(): TaskStore {
  const tasks = new Map<string, Task>();
  const byRepository = new Map<string, Set<string>>();

  return {
    async create(task) {
      tasks.set(task.id, task);
      let ids = byRepository.get(task.repository);
      if (!ids) byRepository.set(task.repository, (ids = new Set()));
      ids.add(task.id);
      return task;
    },
    async get(id) {
      return tasks.get(id) ?? null;
    },
    async list(repository) {
      const ids = byRepository.get(repository);
      return ids ? [...ids].map((id) => tasks.get(id)!) : [];
    },
    async update(id, patch, updatedAt) {
      const task = tasks.get(id);
      if (!task) return null;
      const next = applyPatch(task, patch, updatedAt);
      tasks.set(id, next);
      return next;
    },
    async delete(id) {
      const task = tasks.get(id);
      if (!task) return null;
      tasks.delete(id);
      const ids = byRepository.get(task.repository);
      ids?.delete(id);
      if (ids?.size === 0) byRepository.delete(task.repository);
      return task;
    },
  };
}
