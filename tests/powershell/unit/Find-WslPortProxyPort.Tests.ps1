# Unit tests: Find-WslPortProxyPort (Public/Find-WslPortProxyPort.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Find-WslPortProxyPort' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'returns the published ports with Forwarded set from the settings'' rules' {
        InModuleScope WslPortProxy {
            Mock Read-PublishedPort { [pscustomobject]@{ Engine = 'podman'; Ports = @((New-PublishedPort -Engine 'podman' -Container 'web' -Port 80 -ContainerPort 80), (New-PublishedPort -Engine 'podman' -Container 'web' -Port 81 -ContainerPort 81)) } }
            $ports = @(Find-WslPortProxyPort -Settings (New-TestSettings))
            @($ports | ForEach-Object { "$($_.Port) $($_.Forwarded)" }) | Should -Be @('80 True', '81 False')
        }
    }

    It 'fails with exit code 13 when there is no engine, and 10 for invalid settings' {
        InModuleScope WslPortProxy {
            Mock Read-PublishedPort { $null }
            { Find-WslPortProxyPort -Settings (New-TestSettings -Overrides @{ PodmanMachine = $false; Distro = 'Ubuntu' }) } |
                Should -Throw -ErrorId 'WslPortProxy.EngineFailed,Find-WslPortProxyPort' -ExpectedMessage 'No container engine to ask in WSL distribution Ubuntu: *'
            { Find-WslPortProxyPort -Settings @{} } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings,Find-WslPortProxyPort'
        }
    }
}
