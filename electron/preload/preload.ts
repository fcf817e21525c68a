// Sandboxed preload (bundled into one file by Forge's Vite plugin): only `contextBridge` and `ipcRenderer`.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.ts';

contextBridge.exposeInMainWorld('quire', createBridge(ipcRenderer));
