export declare const NODE_MAJOR_NEEDED: number;
export declare function nodeTooOld(version: string): string | undefined;
