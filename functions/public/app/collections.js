// The team's collections, loaded once and shared by the filter, the cards and the dialogs.

import { seg } from "./api.js";

export function createCollections(api) {
  let list = [];
  const listeners = new Set();
  const emit = () => listeners.forEach((listener) => listener(list));
  const sorted = (items) => [...items].sort((a, b) => a.name.localeCompare(b.name));

  return {
    get list() {
      return list;
    },
    name(id) {
      return list.find((collection) => collection.id === id)?.name;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async load() {
      const all = [];
      let cursor = null;
      do {
        const page = await api.get("/api/v1/gallery/collections", { query: { limit: 100, cursor } });
        all.push(...page.collections);
        cursor = page.nextCursor;
      } while (cursor);
      list = sorted(all);
      emit();
      return list;
    },
    async create(name) {
      const created = await api.post("/api/v1/gallery/collections", { name });
      list = sorted([...list.filter((collection) => collection.id !== created.id), created]);
      emit();
      return created;
    },
    async add(collectionId, itemIds) {
      return api.post(`/api/v1/gallery/collections/${seg(collectionId)}/items`, { itemIds });
    },
    async remove(collectionId, itemIds) {
      return api.delete(`/api/v1/gallery/collections/${seg(collectionId)}/items`, { itemIds });
    },
  };
}
