// Vite turns CSS imports into stylesheet links.
declare module '*.css';
