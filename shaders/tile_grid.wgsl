// Lays generated images out as a tile grid of RGBA8 pixels on the GPU, exactly as the host
// path does (export::grid::grid_image, then to_rgba8): tiles of W x H in rows of `cols`,
// `pad` background pixels between tiles and around the edge, [-1, 1] -> 0..255.
//
// images: the burn tensor's own buffer, (N, C, H, W) at `offset` with the tensor's strides
//         (so any layout burn hands us reads correctly, no copy first);
// pixels: one packed RGBA8 word per pixel, rows `row_words` apart (256-byte aligned rows,
//         as copy_buffer_to_texture requires).

struct Params {
    count: u32,
    channels: u32,
    height: u32,
    width: u32,
    stride_n: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    offset: u32,
    cols: u32,
    pad: u32,
    background: u32,
    grid_w: u32,
    grid_h: u32,
    row_words: u32,
    unused: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read_write> pixels: array<u32>;

// One model output to a grey level as the host's `to_u8` does: clamp to [-1, 1], scale by
// 127.5, round halves away from zero, NaN -> 0 (Rust's saturating `as u8`).
fn level(v: f32) -> u32 {
    if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) {
        return 0u;
    }
    let t = (clamp(v, -1.0, 1.0) + 1.0) * 127.5;
    let f = floor(t);
    return u32(select(f, f + 1.0, t - f >= 0.5));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let x = id.x;
    let y = id.y;
    if (x >= p.grid_w || y >= p.grid_h) {
        return;
    }
    var rgb = vec3<u32>(p.background);
    if (x >= p.pad && y >= p.pad) {
        let cell_w = p.width + p.pad;
        let cell_h = p.height + p.pad;
        let col = (x - p.pad) / cell_w;
        let ix = (x - p.pad) % cell_w;
        let row = (y - p.pad) / cell_h;
        let iy = (y - p.pad) % cell_h;
        let i = row * p.cols + col;
        if (ix < p.width && iy < p.height && col < p.cols && i < p.count) {
            let at = p.offset + i * p.stride_n + iy * p.stride_h + ix * p.stride_w;
            let first = level(images[at]);
            if (p.channels == 3u) {
                rgb = vec3<u32>(
                    first,
                    level(images[at + p.stride_c]),
                    level(images[at + 2u * p.stride_c])
                );
            } else {
                rgb = vec3<u32>(first);
            }
        }
    }
    pixels[y * p.row_words + x] = rgb.x | (rgb.y << 8u) | (rgb.z << 16u) | (255u << 24u);
}
