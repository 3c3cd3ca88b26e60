//! Devices offline too long: WhatsApp unlinks a companion device that no page has connected
//! for about 14 days (`SimConfig::unlink_offline_after`). The servers note when a device's last
//! page went away; a page coming back after the limit finds the device gone (`device_removed`),
//! and the messages held for it with it.

use crate::core::Core;

impl Core {
    /// The page holding `number`'s device `device_id` went away; unless another page still holds
    /// it, the device is offline from now.
    pub fn went_offline(&self, number: &str, device_id: u32) {
        let still_held = self
            .linked_pages(number)
            .iter()
            .any(|(_, dev, _, _)| *dev == device_id);
        if still_held {
            return;
        }
        let now = now_ms();
        self.mutate(|world| {
            if let Some(device) = device_of(world, number, device_id) {
                device.offline_since_ms = Some(now);
            }
        });
    }

    /// A page proved the device's credentials: it is online.
    pub fn came_online(&self, number: &str, device_id: u32) {
        self.mutate(|world| {
            if let Some(device) = device_of(world, number, device_id) {
                device.offline_since_ms = None;
            }
        });
    }

    /// Unlinks the device if it has been offline longer than the limit (checked when a page
    /// comes back with its credentials: that is when a real device learns it was removed).
    pub fn expire_if_offline_too_long(&self, number: &str, device_id: u32) {
        let limit = self.config.unlink_offline_after.as_millis() as i64;
        let now = now_ms();
        let removed = self.mutate(|world| {
            let Some(account) = world.accounts.get_mut(number) else {
                return false;
            };
            let before = account.devices.len();
            account.devices.retain(|d| {
                d.id != device_id || d.offline_since_ms.is_none_or(|since| now - since <= limit)
            });
            account.devices.len() < before
        });
        if removed {
            tracing::info!(number, device_id, "device offline too long: unlinked");
            self.count(|c| {
                c.devices_unlinked += 1;
                c.offline_unlinks += 1;
            });
        }
    }
}

fn device_of<'a>(
    world: &'a mut crate::state::World,
    number: &str,
    device_id: u32,
) -> Option<&'a mut crate::state::Device> {
    let account = world.accounts.get_mut(number)?;
    account.devices.iter_mut().find(|d| d.id == device_id)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
