/* ResNet-50 v1.5 (torchvision/MLPerf: the stride of a down-sampling block
 * is on its 3x3 conv), 224x224 input, batch 1. Each distinct shape appears
 * once: blocks after the first of a stage repeat "b" (stage 2's branch1
 * has the same shape as its branch2c, listed once under branch2c). */
#include "layers.h"

#include "../matmul/shapes.h"

#include <string.h>

/* name, n, c, h, w, k, r, s, stride, pad, dilation, groups */
static const struct aib_conv_layer layers[] = {
    {"resnet50-conv1", 1, 3, 224, 224, 64, 7, 7, 2, 3, 1, 1},
    {"resnet50-res2a-branch2a", 1, 64, 56, 56, 64, 1, 1, 1, 0, 1, 1},
    {"resnet50-res2-branch2b", 1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1},
    {"resnet50-res2-branch2c", 1, 64, 56, 56, 256, 1, 1, 1, 0, 1, 1},
    {"resnet50-res2b-branch2a", 1, 256, 56, 56, 64, 1, 1, 1, 0, 1, 1},
    {"resnet50-res3a-branch2a", 1, 256, 56, 56, 128, 1, 1, 1, 0, 1, 1},
    {"resnet50-res3a-branch2b", 1, 128, 56, 56, 128, 3, 3, 2, 1, 1, 1},
    {"resnet50-res3a-branch1", 1, 256, 56, 56, 512, 1, 1, 2, 0, 1, 1},
    {"resnet50-res3-branch2c", 1, 128, 28, 28, 512, 1, 1, 1, 0, 1, 1},
    {"resnet50-res3b-branch2a", 1, 512, 28, 28, 128, 1, 1, 1, 0, 1, 1},
    {"resnet50-res3b-branch2b", 1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1},
    {"resnet50-res4a-branch2a", 1, 512, 28, 28, 256, 1, 1, 1, 0, 1, 1},
    {"resnet50-res4a-branch2b", 1, 256, 28, 28, 256, 3, 3, 2, 1, 1, 1},
    {"resnet50-res4a-branch1", 1, 512, 28, 28, 1024, 1, 1, 2, 0, 1, 1},
    {"resnet50-res4-branch2c", 1, 256, 14, 14, 1024, 1, 1, 1, 0, 1, 1},
    {"resnet50-res4b-branch2a", 1, 1024, 14, 14, 256, 1, 1, 1, 0, 1, 1},
    {"resnet50-res4b-branch2b", 1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1},
    {"resnet50-res5a-branch2a", 1, 1024, 14, 14, 512, 1, 1, 1, 0, 1, 1},
    {"resnet50-res5a-branch2b", 1, 512, 14, 14, 512, 3, 3, 2, 1, 1, 1},
    {"resnet50-res5a-branch1", 1, 1024, 14, 14, 2048, 1, 1, 2, 0, 1, 1},
    {"resnet50-res5-branch2c", 1, 512, 7, 7, 2048, 1, 1, 1, 0, 1, 1},
    {"resnet50-res5b-branch2a", 1, 2048, 7, 7, 512, 1, 1, 1, 0, 1, 1},
    {"resnet50-res5b-branch2b", 1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1},
    /* MobileNetV2 depthwise 3x3 layers (groups = channels) */
    {"mobilenetv2-dw-112-c32", 1, 32, 112, 112, 32, 3, 3, 1, 1, 1, 32},
    {"mobilenetv2-dw-56-c144-s2", 1, 144, 56, 56, 144, 3, 3, 2, 1, 1, 144},
    {"mobilenetv2-dw-14-c384", 1, 384, 14, 14, 384, 3, 3, 1, 1, 1, 384},
};

const struct aib_conv_layer *aib_conv_layers(size_t *n)
{
    *n = sizeof layers / sizeof layers[0];
    return layers;
}

const struct aib_conv_layer *aib_conv_layer_find(const char *name)
{
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        if (strcmp(layers[i].name, name) == 0)
            return &layers[i];
    return NULL;
}

int aib_conv_layer_names(char *buf, size_t len)
{
    const char *names[sizeof layers / sizeof layers[0]];
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        names[i] = layers[i].name;
    return aib_names_grouped(names, sizeof layers / sizeof layers[0], buf, len);
}
