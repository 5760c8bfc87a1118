"""The JSON shapes the API answers and `anitrakt … --json` prints (camelCase, as the
API documents them); built from the values the use cases return."""
