/** SANDBOX FAKE — never part of src/. An error the fake GitHub answers with, in GitHub's words. */
export interface ApiErrorDetail {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: ApiErrorDetail[],
  ) {
    super(message);
  }
}

export function notFound(): ApiError {
  return new ApiError(404, "Not Found");
}
