/** Init part: nothing. What a fresh `import()` of a one-file ES module costs Node itself. */
export const handler = () => undefined;
