# Unit tests: the bundle's files, checked and copied (Private/Bundle.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
}

Describe 'Get-BundleProblem' {
    It 'finds nothing wrong with a generated bundle' {
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle) | Should -HaveCount 0
            @(Get-BundleFile -BundlePath $Bundle) | Should -Contain 'WslPortProxy/Private/Wsl.ps1'
        }
    }

    It 'names a changed, a missing and an unlisted file' {
        $copy = Join-Path $TestDrive 'bundle'
        Copy-Item -LiteralPath $script:Bundle -Destination $copy -Recurse
        Add-Content -LiteralPath (Join-Path $copy 'WslPortProxy/Private/Wsl.ps1') -Value '# changed'
        Remove-Item -LiteralPath (Join-Path $copy 'README.txt')
        $manifest = Get-Content -Raw -LiteralPath (Join-Path $copy 'manifest.json') | ConvertFrom-Json
        $manifest.files.PSObject.Properties.Remove('Uninstall-WslPortProxy.ps1')
        $manifest | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $copy 'manifest.json')
        InModuleScope WslPortProxy -Parameters @{ Bundle = $copy } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle) | Should -Be @('Uninstall-WslPortProxy.ps1 is not listed', 'README.txt is missing', 'WslPortProxy/Private/Wsl.ps1 was changed')
        }
        Remove-Item -LiteralPath (Join-Path $copy 'manifest.json')
        InModuleScope WslPortProxy -Parameters @{ Bundle = $copy } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle)[0] | Should -BeLike 'manifest.json or the module manifest cannot be read (*'
        }
    }
}

Describe 'Copy-BundleFile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Copy-BundleFile locks the folder first, replaces an old module whole and copies what the task needs' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Target = $target } {
            param($Target)
            New-InstallDirectory -Path $Target -Account 'CORP\svc-podman'   # an earlier install's folder (4 icacls calls)
        }
        New-Item -ItemType Directory -Path (Join-Path $target 'WslPortProxy/Old') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $target 'WslPortProxy/Old/Stale.ps1') -Value 'old'
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle; Target = $target } {
            param($Bundle, $Target)
            Copy-BundleFile -BundlePath $Bundle -Destination $Target -Account 'CORP\svc-podman'
        }
        @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Force | ForEach-Object Name) | Should -Be @('WslPortProxy')   # kept, not moved aside
        Test-Path -LiteralPath (Join-Path $target 'WslPortProxy/Old') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $target 'Install-WslPortProxy.ps1') | Should -BeFalse
        (Get-FileHash (Join-Path $target 'WslPortProxy/Public/Update-WslPortProxy.ps1')).Hash |
            Should -Be (Get-FileHash (Join-Path $script:Bundle 'WslPortProxy/Public/Update-WslPortProxy.ps1')).Hash
        (Read-SimState 'icacls.json').Count | Should -Be 4   # none for a folder kept as it was
    }

    It 'Given -WhatIf, copies nothing and sets no ACL' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle; Target = $target } {
            param($Bundle, $Target)
            Copy-BundleFile -BundlePath $Bundle -Destination $Target -Account 'CORP\svc-podman' -WhatIf
        }
        Test-Path -LiteralPath $target | Should -BeFalse
        Read-SimState 'icacls.json' | Should -BeNullOrEmpty
    }
}
