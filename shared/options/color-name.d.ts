/** color-name 2.x ships no types: the CSS named colours, name → [r, g, b]. */
declare module 'color-name' {
  const colours: Readonly<Record<string, readonly [number, number, number]>>;
  export default colours;
}
