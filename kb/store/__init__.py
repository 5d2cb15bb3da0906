"""Store backends behind one interface (:class:`dxkb.kb.store.base.Store`), opened from a location string by
:func:`dxkb.kb.store.registry.open_store` - the one place that knows which backend a location means."""
