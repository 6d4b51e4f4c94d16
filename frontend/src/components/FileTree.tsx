/**
 * A skill's files as a tree (WAI-ARIA tree view): folders expand and collapse, one item is
 * in the tab order at a time, and the keyboard moves through the visible items (↑/↓,
 * Home/End, → opens a folder or enters it, ← closes it or goes to its parent, Enter or
 * Space opens a file or toggles a folder).
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { FileEntry } from '../api/types.ts';
import { formatCount } from './ui.tsx';

interface TreeNode {
  name: string;
  path: string;
  /** Set for files; folders have children instead. */
  file?: FileEntry;
  children: TreeNode[];
  parent: string | null;
}

/** Folders first, then files, each by name. */
export function buildTree(files: FileEntry[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [], parent: null };
  const folders = new Map<string, TreeNode>([['', root]]);
  for (const file of files) {
    const parts = file.path.split('/');
    let parent = root;
    parts.slice(0, -1).forEach((part, i) => {
      const path = parts.slice(0, i + 1).join('/');
      let folder = folders.get(path);
      if (!folder) {
        folder = { name: part, path, children: [], parent: parent.path || null };
        folders.set(path, folder);
        parent.children.push(folder);
      }
      parent = folder;
    });
    parent.children.push({ name: parts[parts.length - 1] ?? file.path, path: file.path, file, children: [], parent: parent.path || null });
  }
  const sort = (nodes: TreeNode[]) => {
    nodes.sort((a, b) => Number(Boolean(a.file)) - Number(Boolean(b.file)) || a.name.localeCompare(b.name));
    for (const node of nodes) sort(node.children);
  };
  sort(root.children);
  return root.children;
}

function visible(nodes: TreeNode[], expanded: Set<string>): TreeNode[] {
  return nodes.flatMap((node) =>
    !node.file && expanded.has(node.path) ? [node, ...visible(node.children, expanded)] : [node],
  );
}

export function FileTree({
  files,
  label,
  selected,
  onSelect,
}: {
  files: FileEntry[];
  label: string;
  selected: string | null;
  onSelect: (path: string) => void;
}) {
  const nodes = useMemo(() => buildTree(files), [files]);
  const byPath = useMemo(() => {
    const map = new Map<string, TreeNode>();
    const walk = (list: TreeNode[]) => list.forEach((n) => (map.set(n.path, n), walk(n.children)));
    walk(nodes);
    return map;
  }, [nodes]);
  // Skills are small: every folder starts open.
  const [expanded, setExpanded] = useState(() => new Set([...byPath.values()].filter((n) => !n.file).map((n) => n.path)));
  const [focused, setFocused] = useState<string | null>(null);
  const tree = useRef<HTMLUListElement>(null);
  const shown = visible(nodes, expanded);
  // The one item in the tab order: the focused one, else the open file, else the first.
  const current = [focused, selected].find((p) => p !== null && shown.some((n) => n.path === p)) ?? shown[0]?.path;

  useEffect(() => {
    if (focused === null || !tree.current?.contains(document.activeElement)) return;
    const items = tree.current.querySelectorAll<HTMLElement>('[role="treeitem"]');
    [...items].find((el) => el.dataset.path === focused)?.focus();
  }, [focused]);

  function toggle(path: string, open = !expanded.has(path)) {
    setExpanded((current) => {
      const next = new Set(current);
      if (open) next.add(path);
      else next.delete(path);
      return next;
    });
  }

  function activate(node: TreeNode) {
    setFocused(node.path);
    if (node.file) onSelect(node.path);
    else toggle(node.path);
  }

  function onKeyDown(event: KeyboardEvent<HTMLUListElement>) {
    const at = shown.findIndex((n) => n.path === current);
    const node = shown[at];
    if (!node) return;
    const isOpen = !node.file && expanded.has(node.path);
    let target: TreeNode | undefined;
    switch (event.key) {
      case 'ArrowDown':
        target = shown[at + 1];
        break;
      case 'ArrowUp':
        target = shown[at - 1];
        break;
      case 'Home':
        target = shown[0];
        break;
      case 'End':
        target = shown[shown.length - 1];
        break;
      case 'ArrowRight':
        if (node.file) break;
        if (isOpen) target = node.children[0];
        else toggle(node.path, true);
        break;
      case 'ArrowLeft':
        if (isOpen) toggle(node.path, false);
        else if (node.parent !== null) target = byPath.get(node.parent);
        break;
      case 'Enter':
      case ' ':
        activate(node);
        break;
      default:
        return;
    }
    event.preventDefault();
    if (target) setFocused(target.path);
  }

  function item(node: TreeNode, level: number, index: number, siblings: number) {
    const isFolder = !node.file;
    const isOpen = isFolder && expanded.has(node.path);
    const name = node.file
      ? `${node.name} (${formatCount(node.file.size)} B${node.file.executable ? ', executable' : ''})`
      : node.name;
    return (
      <li
        key={node.path}
        role="treeitem"
        data-path={node.path}
        aria-level={level}
        aria-setsize={siblings}
        aria-posinset={index + 1}
        aria-expanded={isFolder ? isOpen : undefined}
        aria-selected={isFolder ? undefined : selected === node.path}
        aria-label={name}
        tabIndex={node.path === current ? 0 : -1}
        className={`file-tree__item${isFolder ? ' file-tree__item--folder' : ''}`}
        onFocus={(event) => {
          if (event.target === event.currentTarget) setFocused(node.path);
        }}
      >
        <div className="file-tree__row" onClick={() => activate(node)}>
          <span className="file-tree__icon" aria-hidden="true">
            {isFolder ? (isOpen ? '▾' : '▸') : '·'}
          </span>
          <span className="file-tree__name">
            {node.name}
            {isFolder ? '/' : ''}
          </span>
          {node.file && (
            <span className="muted file-tree__size">
              {formatCount(node.file.size)} B{node.file.executable ? ' · executable' : ''}
            </span>
          )}
        </div>
        {isFolder && isOpen && (
          <ul role="group">{node.children.map((child, i) => item(child, level + 1, i, node.children.length))}</ul>
        )}
      </li>
    );
  }

  return (
    <ul role="tree" aria-label={label} className="file-tree" ref={tree} onKeyDown={onKeyDown}>
      {nodes.map((node, i) => item(node, 1, i, nodes.length))}
    </ul>
  );
}
