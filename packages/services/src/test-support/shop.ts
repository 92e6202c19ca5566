// A runtime implementation of the test service acme.shop.v1.Shop (all four call kinds), for
// servers that reflection and health run beside.
import type { DescService, FileRegistry } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@grpc-ts/core";

interface ItemLike {
  readonly name?: string;
}

/** The Shop service from the registry. */
export function shopService(registry: FileRegistry): DescService {
  const service = registry.getService("acme.shop.v1.Shop");
  if (service === undefined) throw new Error("acme.shop.v1.Shop is not in the registry");
  return service;
}

/** Echo-like handlers: GetItem names the item after the request, the streams echo. */
export function shopImpl(): ServiceImpl<DescService> {
  const impl = {
    getItem(request: { name: string }) {
      return { name: request.name };
    },
    async *listItems(request: { name: string }) {
      yield { name: `${request.name}-1` };
      yield { name: `${request.name}-2` };
    },
    async addItems(items: AsyncIterable<ItemLike>) {
      let count = 0;
      for await (const _ of items) count++;
      return { count };
    },
    async *chat(items: AsyncIterable<ItemLike>) {
      for await (const item of items) yield { name: item.name ?? "" };
    },
  };
  return impl as unknown as ServiceImpl<DescService>;
}
