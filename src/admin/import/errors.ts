// The one error an OpenAPI import reports for a bad spec, source or option. The CLI prints the
// problems one per line and the admin API returns them as a list, so each line must make sense
// alone and say where: `paths./labels.post.responses: is required`.

export class OpenApiImportError extends Error {
  /** One readable line per problem, each naming its place (no stack traces, no library noise). */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'OpenApiImportError';
    this.problems = problems;
  }
}

export const importProblem = (problem: string) => new OpenApiImportError([problem]);
